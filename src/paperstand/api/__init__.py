"""JSON API compatible with Hugging Face's papers endpoints."""
