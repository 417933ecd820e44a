"""Business rules of the hub. No gRPC, no protobuf, no raw SQL: use cases over the store."""
