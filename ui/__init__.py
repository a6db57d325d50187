"""The Gradio chat UI; no logic of its own, everything comes from the rag library."""
