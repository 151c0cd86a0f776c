# One image for web, worker, downloads, beat and the migrate one-shot: docker-compose.yml
# chooses the command. Building it needs no secret; every setting comes at run time.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    # Settings come from the container's environment alone, never from a stray .env.
    DJANGO_READ_DOT_ENV=0
WORKDIR /app

# A fixed uid, so that files the app writes on a volume keep one owner across rebuilds.
RUN useradd --create-home --uid 10001 --user-group app

# Dependencies before the code: editing the code does not reinstall them.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .
# The translations Django reads (.mo) are built from locale/*.po, which is all git keeps;
# gettext is needed only for that, so it leaves the image in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
    && apt-get purge -y --auto-remove gettext \
    && rm -rf /var/lib/apt/lists/*
# collectstatic writes the hashed, compressed files whitenoise serves to STATIC_ROOT
# (VAR_DIR/static = /app/var/static): so /app/var must not be a volume, which would hide them
# or keep a stale copy across upgrades. settings.py refuses to load without SECRET_KEY, but
# collectstatic signs nothing: the value on this line is a throwaway that exists only during
# this RUN, is in no layer, and no container ever sees it.
RUN SECRET_KEY=build-only-collectstatic STATIC_FROM_SOURCE=0 \
        python manage.py collectstatic --no-input \
    # beat's schedule file lives in VAR_DIR/celery; the app user writes it.
    && mkdir -p /app/var/celery \
    && chown -R app:app /app/var
USER app

EXPOSE 8000
# /healthz answers without the database, so a database outage does not get healthy web
# processes restarted (/readyz is the one that checks dependencies). The Host header is
# SITE_URL's: ALLOWED_HOSTS admits only that host outside DEBUG.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.parse, urllib.request; host = urllib.parse.urlsplit(os.environ.get('SITE_URL', 'http://127.0.0.1:8000')).netloc; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]

# For a 2-core box: 3 processes use both cores despite the GIL; 4 threads each let requests
# that wait on PostgreSQL, Redis or S3 overlap. gthread's timeout watches the worker process,
# not a request, so a long download streamed from files is not killed at 30 s. The heartbeat
# file on /dev/shm: an overlay filesystem can stall it and get healthy workers killed.
# max-requests recycles workers now and then, bounding any slow memory growth. The access
# log carries the request id the site echoed (portability_site/logs.py), to match its lines.
CMD ["gunicorn", "portability_site.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--workers", "3", "--threads", "4", \
     "--timeout", "30", "--graceful-timeout", "30", "--keep-alive", "5", \
     "--max-requests", "1000", "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--access-logformat", "%(h)s \"%(r)s\" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"]
