"""paperstand's own write API beside the Hugging Face-compatible reads: every call needs a Bearer token.

Each domain adds its router here (votes, submissions, comments, the caller's account); the handlers call
the same service functions as the HTML forms.
"""

from __future__ import annotations

from fastapi import APIRouter

from paperstand.api import votes

router = APIRouter(tags=["write"])
router.include_router(votes.router)
