"""The gRPC surface of the core: servicers (proto <-> domain), the interceptor, error mapping."""
