"""gunicorn settings for Core Group: `make serve`, or `gunicorn -c gunicorn.conf.py app:app`.

Several of these processes can run behind a load balancer on PostgreSQL: sessions live in the
database and the sign-in limits need a shared store (RATELIMIT_STORAGE_URI=redis://...).
"""

import multiprocessing
import os

bind = os.environ.get("COREGROUP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("COREGROUP_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = int(os.environ.get("COREGROUP_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
accesslog = os.environ.get("COREGROUP_ACCESS_LOG", "-")
errorlog = "-"
# The access log records paths and status only: no query strings with names, no bodies.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
