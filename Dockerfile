# One image for web, worker and beat; docker-compose.yml chooses the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt

COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && useradd --create-home --uid 10001 app \
    && mkdir -p /app/var && chown app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "portability_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
