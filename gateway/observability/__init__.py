"""What the gateway tells its operators: per-request stats, logs, metrics."""
