"""The embedded LLM: one llama.cpp server per node (``service``) and the brain that uses it."""
