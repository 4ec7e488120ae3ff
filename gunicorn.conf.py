"""gunicorn settings for Core Group: `make serve`, or `gunicorn -c gunicorn.conf.py app:app`.

Several of these processes can run behind a load balancer on PostgreSQL: sessions live in the
database and the sign-in limits need a shared store (RATELIMIT_STORAGE_URI=redis://...).
"""

import os

from coregroup.config import default_workers

bind = os.environ.get("COREGROUP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("COREGROUP_WORKERS", default_workers()))
worker_class = "sync"
# The app is imported once, in the master, and each worker is a fork of it: a worker that is
# recycled (max_requests) is back in milliseconds instead of importing everything again (~1.7 s
# of CPU each, taken from the other workers). Connections opened before a fork are never
# shared (coregroup: the pool's checkout guard). Code changes need a restart, not a HUP.
preload_app = True
timeout = int(os.environ.get("COREGROUP_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a guard against slow leaks), not often: each replacement costs
# about a second of CPU between the old process ending and the new one's first pages.
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("COREGROUP_ACCESS_LOG", "-")
errorlog = "-"
# The access log records paths and status only: no query strings with names, no bodies.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def when_ready(server):
    """Compile the templates and load the languages once, in the master, before the workers
    are forked from it (coregroup.warmup): no worker spends its first requests on them."""
    app = server.app.wsgi()
    if "coregroup.flows" in getattr(app, "extensions", {}):
        from coregroup.warmup import warm

        server.log.info("Ready before forking: %s", warm(app))


def on_exit(server):
    """When the service stops: a signed checkpoint of the audit chains (coregroup.checkpoints),
    so every event written before the stop is covered by one."""
    app = server.app.wsgi()
    if "coregroup.flows" in getattr(app, "extensions", {}):
        from coregroup import checkpoints

        with app.app_context():
            if checkpoints.directory() is not None:
                server.log.info("Audit checkpoint written: %s", checkpoints.write())
