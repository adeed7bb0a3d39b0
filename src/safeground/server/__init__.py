"""The team server: a web API, OGC API - Features and a map page over one store.

``create_app(settings)`` builds the FastAPI application; ``safeground serve`` runs it with
uvicorn. Routes are thin shells over the services (services/team.py, services/accounts.py).
"""
