"""Page routes: thin handlers (parse → one query → render) split by page, mounted in match order."""

from fastapi import APIRouter

from paperstand.web import (
    arxiv,
    claims,
    comments,
    curate,
    feeds,
    follows,
    for_you,
    for_you_signals,
    hooks,
    library,
    library_forms,
    library_io,
    library_public,
    listing,
    moderation,
    paper,
    preferences,
    rate,
    search,
    submit,
    subscribe,
    trending,
    unsubscribe,
    votes,
    watch,
)
from paperstand.web.account import router as account_router
from paperstand.web.member_settings import router as settings_router
from paperstand.web.profile import router as profile_router
from paperstand.web.recovery import router as recovery_router

router = APIRouter()
router.include_router(subscribe.router)
router.include_router(unsubscribe.router)
router.include_router(hooks.router)
router.include_router(preferences.router)
router.include_router(rate.router)
router.include_router(listing.router)
router.include_router(feeds.router)
router.include_router(search.router)
router.include_router(arxiv.router)
router.include_router(comments.router)  # its POST /papers/{id}/comments precedes the paper page's pattern
router.include_router(moderation.router)
router.include_router(account_router)
router.include_router(recovery_router)
router.include_router(settings_router)
router.include_router(profile_router)
router.include_router(submit.router)
router.include_router(curate.router)
router.include_router(claims.router)  # before ``paper``: /papers/{id}/claim and /links end in fixed words
router.include_router(votes.router)
router.include_router(library_forms.router)  # before ``library``: /library/new and /save are fixed words
router.include_router(library_io.router)
router.include_router(library.router)
router.include_router(library_public.router)
router.include_router(follows.router)
router.include_router(watch.router)  # before ``paper``: /papers/{id}/watch ends in a fixed word
router.include_router(trending.router)
router.include_router(for_you.router)
router.include_router(for_you_signals.router)
# Last: its ``{paper_id:path}`` pattern would otherwise swallow /papers/date/..., /week/..., /month/...
router.include_router(paper.router)
