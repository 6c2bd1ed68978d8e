import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
application = get_wsgi_application()

# Chinese word segmentation loads its dictionary (about a second) here, as the worker
# starts, rather than in a buyer's first search.
from listings.search import warm_up  # noqa: E402

warm_up()
