"""gunicorn settings for the portal (``--config python:rm_plugin.web.gunicorn_conf``).

Threaded workers: a browser's idle pre-connections would otherwise hold a synchronous worker
until its timeout. The access log leaves out query strings: a dynamic-registration request
carries the platform's ``registration_token`` there, and a launch hand-off its one-time ticket.
"""

worker_class = "gthread"
threads = 4
# An idle kept-alive connection waits in the worker's poller, not in a thread, so it is cheap to keep
# while a participant reads a page; a shorter wait closes it just as their next request is sent.
keepalive = 5
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# X-Forwarded-For and -Host from the HTTPS proxy are applied by the app ([web] trusted_proxies).
