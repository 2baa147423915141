# lisse in a container: the same install step as the README and CI (`make install`).
FROM python:3.12-slim

RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential make libglu1-mesa libxrender1 libxcursor1 libxft2 libxinerama1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home lisse
USER lisse
WORKDIR /home/lisse/app
COPY --chown=lisse:lisse . .
RUN make install PYTHON=python3.12
ENV PATH="/home/lisse/app/.venv/bin:${PATH}" MPLBACKEND=Agg

ENTRYPOINT ["lisse"]
CMD ["--help"]
