"""The embedded LLM: one llama.cpp server per node (``service.LocalLLM``) and the brain that uses
it (``brain.LLMBrain``: streamed replies, ``prepare``/``warm`` for the prompt cache, and
``complete(system, user, schema=...)`` for a whole JSON-constrained answer such as meeting notes).
``get_brain(BrainSettings())`` gives the default one; it loads its own model when the node has
not handed it one (``brain.llm_url``)."""
