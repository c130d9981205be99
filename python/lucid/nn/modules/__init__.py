"""The layers, one file per kind, each a Module over a function in lucid.nn.functional.

Each file's ``__all__`` lists its layers; lucid.nn re-exports them (import them from
there: ``lucid.nn.Linear``).
"""
