"""Page routes (placeholder until the pages land)."""

from fastapi import APIRouter

router = APIRouter()
