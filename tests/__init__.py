"""qdev's tests, a package so that pytest and mypy name every test module alike
(`tests.init.helpers`), and shared helpers such as `tests.cli_runner` import the same way
everywhere."""
