"""Tools for developing SAGE, shared by the test suite and the benches; never imported by the site."""
