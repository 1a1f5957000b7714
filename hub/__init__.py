"""The course on a JupyterHub: `make hub` (run.py, jupyterhub_config.py) and Kubernetes (k8s/)."""
