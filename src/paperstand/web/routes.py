"""Page routes: thin handlers (parse → one query → render) split by page, mounted in match order."""

from fastapi import APIRouter

from paperstand.web import arxiv, feeds, hooks, listing, paper, preferences, search, subscribe, trending, unsubscribe

router = APIRouter()
router.include_router(subscribe.router)
router.include_router(unsubscribe.router)
router.include_router(hooks.router)
router.include_router(preferences.router)
router.include_router(listing.router)
router.include_router(feeds.router)
router.include_router(search.router)
router.include_router(arxiv.router)
router.include_router(trending.router)
# Last: its ``{paper_id:path}`` pattern would otherwise swallow /papers/date/..., /week/..., /month/...
router.include_router(paper.router)
