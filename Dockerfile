FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml requirements.lock ./
RUN pip install --no-cache-dir -c requirements.lock . && useradd --create-home controltrace \
    && mkdir -p /data/media && chown controltrace /data/media
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
USER controltrace
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
