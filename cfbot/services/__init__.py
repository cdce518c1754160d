"""Services: the only place that commits. One unit of work per inbound message or job."""
