"""Running the dashboard for many users: nginx in front of several app processes (serve.py)."""
