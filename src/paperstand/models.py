"""Imports every table module, so ``Base.metadata`` is complete (for migrations and their tests)."""

from paperstand.digests import models as digests_models
from paperstand.papers import models as papers_models
from paperstand.search import models as search_models
from paperstand.site import models as site_models
from paperstand.subscriptions import models as subscriptions_models

__all__ = ["digests_models", "papers_models", "search_models", "site_models", "subscriptions_models"]
