"""`GET /healthz`: is this instance fit to serve, for a load balancer or a monitor."""
