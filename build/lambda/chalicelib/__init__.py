"""The City e-services portal: domain packages, models, handlers and the web layer."""
