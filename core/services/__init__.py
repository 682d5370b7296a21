"""gRPC servicers: thin translations between ``connector.v1`` messages and the core's domain modules."""
