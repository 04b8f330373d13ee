"""Repository rule: a Python toolchain pinned to one real interpreter.

Bazel 4.2.3's default toolchain runs whatever `python3` is first on PATH at run time,
and ignores --python_path. This rule resolves $PYTHON_BIN_PATH (set by user.bazelrc,
which tools/setup.sh writes) or `python3` to a real path once, checks that it can
import the project's dependencies, and registers it as the PY3 runtime.
"""

_CHECK = """
import sys
try:
    import absl, tensorflow  # noqa: F401
except ImportError as error:
    sys.stderr.write("%s: %s\\n" % (sys.executable, error))
    sys.exit(3)
print(sys.executable)
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "python3_runtime",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    stub_shebang = "#!{interpreter}",
    visibility = ["//visibility:public"],
)

py_runtime_pair(
    name = "runtime_pair",
    py3_runtime = ":python3_runtime",
)

toolchain(
    name = "python_toolchain",
    toolchain = ":runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _local_python_configure_impl(repository_ctx):
    requested = repository_ctx.os.environ.get("PYTHON_BIN_PATH", "")
    if requested:
        candidate = repository_ctx.path(requested)
    else:
        candidate = repository_ctx.which("python3")
    if candidate == None or not candidate.exists:
        fail("No Python interpreter found (PYTHON_BIN_PATH=%r). Run tools/setup.sh." % requested)
    result = repository_ctx.execute([candidate, "-c", _CHECK], timeout = 120)
    if result.return_code != 0:
        fail(("Python at %s cannot import the project's dependencies:\n%s\n" +
              "Run tools/setup.sh, then `bazel sync --configure`.") % (candidate, result.stderr))
    interpreter = result.stdout.strip()
    repository_ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % repository_ctx.name)
    repository_ctx.file("BUILD", _BUILD.format(interpreter = interpreter))

local_python_configure = repository_rule(
    implementation = _local_python_configure_impl,
    local = True,
    configure = True,
    environ = ["PYTHON_BIN_PATH", "PATH"],
)
