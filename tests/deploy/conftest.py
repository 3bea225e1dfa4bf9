"""The deployment's world: two nodes behind Caddy, built once per module in test_two_nodes.py."""
