"""paperstand's own write API beside the Hugging Face-compatible reads: every call needs a Bearer token.

Each domain adds its router here (votes, submissions, comments, the caller's account); the handlers call
the same service functions as the HTML forms.
"""

from __future__ import annotations

from fastapi import APIRouter

from paperstand.api import comments, follows, library, me, recommendations, submissions, votes

router = APIRouter()  # each domain router names its one tag (an operation with two shows twice in /docs)
# Comments: the thread's public GET is here too, or the reads' /api/papers/{paper_id:path} would answer it.
router.include_router(comments.router)
router.include_router(me.router)
router.include_router(library.router)
router.include_router(follows.router)
router.include_router(recommendations.router)
router.include_router(submissions.router)
router.include_router(votes.router)
