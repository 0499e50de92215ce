"""Multi-host probe tests: hosts as Linux network namespaces on a private bridge (network.py),
a forwarder from the test process into them (forward.py), and an ObjectIO cluster spread over them
(harness.py)."""
