"""The cycle diagram: a networkx graph of the couple's loop, and its drawing with Graphviz."""
