"""runner's built-in plugins: the tutorial's models, its random dataset and the update rules.

They are found exactly as a third-party plugin is, through the ``runner``
entry-point group in pyproject.toml. Each registration module imports
nothing heavy; numpy and torch are imported only when something is built.
"""
