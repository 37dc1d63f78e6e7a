"""The register's pages: controls (register and detail), documents and tickets."""
