"""Runtime wiring shared by the API, the worker and the scripts: settings, Temporal client."""
