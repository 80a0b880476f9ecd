"""Imports every table module, so ``Base.metadata`` is complete (for migrations and their tests)."""

from paperstand.accounts import models as accounts_models
from paperstand.community import models as community_models
from paperstand.digests import models as digests_models
from paperstand.follows import models as follows_models
from paperstand.library import models as library_models
from paperstand.mail import models as mail_models
from paperstand.papers import models as papers_models
from paperstand.ranking import models as ranking_models
from paperstand.recommend import models as recommend_models
from paperstand.search import models as search_models
from paperstand.site import models as site_models
from paperstand.subscriptions import models as subscriptions_models

__all__ = ["accounts_models", "community_models", "digests_models", "follows_models", "library_models",
           "mail_models", "papers_models", "ranking_models", "recommend_models", "search_models", "site_models",
           "subscriptions_models"]
