"""Research repos: the repo's environment as a Jupyter kernel, notebooks run as checks, and the
datasets a repo declares, fetched and verified by hash.

What only research repos need stays out of qdev's own runtime: notebooks run in the repo's
`.venv` (nbclient and ipykernel are in the research kind's dev group), and `qdev data` imports
fsspec from the optional `qdev[data]` extra only when something has to be fetched.
"""
