"""MkDocs hooks for the documentation site (``hooks:`` in mkdocs.yml).

The docstrings are written in reStructuredText's inline style: cross-references with Sphinx roles
(``:class:`mousescore.ModelSpec```), which the API reference renders as the role's name beside the
code, and ``::`` before a literal block, rendered as two colons. Neither adds anything for a reader
of the site, so the role goes and the colons become one.
"""
import re

SPHINX_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):(?=<code)")
LITERAL_BLOCK_MARKER = re.compile(r"::</p>")


def on_page_content(html, **kwargs):
    return LITERAL_BLOCK_MARKER.sub(":</p>", SPHINX_ROLE.sub("", html))
