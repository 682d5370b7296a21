"""Amazon Selling Partner API simulator (Orders v0 and Tokens for Amazon.in, Login with Amazon)."""

from sandbox.amazon.simulator import AmazonSimulator

__all__ = ["AmazonSimulator"]
