"""The SECMP0002 test service over the DCC's HTTP interface (issue 20).

See :mod:`specpkg.service.app` for the endpoints, :mod:`specpkg.service.client` for the
User side.
"""
