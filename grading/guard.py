"""The in-kernel guard: hidden tests that a submission's code cannot subvert.

A submission's code and the tests that grade it run in one Python process, so a student
could redefine ``numpy.allclose``, the ``helpers.checks`` functions or a builtin, hook
IPython so that a test cell never runs, or reach into a test while it runs.
:mod:`grading.execute` sends this file's source into every kernel before the first cell
(it imports nothing from ``grading``) and drives it with requests signed with a per-kernel
secret that no notebook code can read. The guard

1. **installs an audit hook** (``sys.addaudithook``; it cannot be removed, and nothing a
   notebook can reach refers to its state). Once armed, after the lesson's read-only set-up
   cells, it refuses from a student's code: replacing an attribute of a protected module
   (numpy, math, builtins, helpers, keras, IPython, ``sys``'s functions) or class,
   ``__code__``/``__defaults__`` of functions the student did not write, frame and
   garbage-collector introspection (``sys._getframe``, ``gc.get_referrers``, ``tb_frame``),
   tracing, ``ctypes``, new threads, code objects forged under a cell's name; and from any
   code: network sockets, subprocesses, and file access under the hidden folders (what the
   ``process`` sandbox level relies on);
2. **snapshots** the protected modules, ``builtins``, ``sys``'s hooks, IPython's input
   transformers and event callbacks, and the names the set-up cells defined (``np``,
   ``checks``, ...);
3. before each graded test cell, **restores** all of it, reporting what it had to restore;
4. **runs the test cell itself** in a private namespace: a copy of the notebook's names with
   the set-up names pinned to their snapshot and a pristine copy of the builtins. The
   student's functions (whose globals are the notebook's) can neither see nor change the
   test's variables or the names it looks up, and the test's frames are trusted;
5. after the cell, answers with a signed **verdict**: whether the test ran, whether it raised
   (so a suppressed error message cannot hide a failure), what changed while it ran and what
   it refused.

"Student code" is code compiled from a notebook cell whose source is not one of the released
lesson's cells, found by walking the stack from the audited operation. What remains open to
someone who studies this file (reaching a module's namespace through ``type.__dict__``
descriptors while a test runs, or a test's namespace through ``__globals__`` of an object the
test hands over) needs constructs the static screen (:mod:`grading.screen`) flags.
"""

import sys
import types

_MISSING = object()
# The cell the grader sends in place of a test cell: it asks the guard to run the test.
WRAPPER = "__import__('sys').audit('grading.guard', 'run', {nonce!r}, '', [])"


class ProtectedModule(types.ModuleType):
    """A module whose attributes only trusted code may replace (checked by the audit hook).

    Its methods hold what they need in default arguments, not in globals or closures, so a
    notebook that reaches them learns nothing about the guard's state.
    """

    __slots__ = ()

    def __setattr__(self, name, value, _audit=sys.audit, _set=types.ModuleType.__setattr__):
        _audit("grading.module_write", self, name, value)
        _set(self, name, value)

    def __delattr__(
        self, name, _audit=sys.audit, _delete=types.ModuleType.__delattr__, _missing=_MISSING
    ):
        _audit("grading.module_write", self, name, _missing)
        _delete(self, name)

    @property
    def __dict__(self, _audit=sys.audit, _get=types.ModuleType.__dict__["__dict__"].__get__):
        """The module's namespace; student code may not take it (it could write into it)."""
        _audit("grading.module_dict", self)
        return _get(self)


ProtectedModule.__name__ = ProtectedModule.__qualname__ = "module"


def install(config):  # noqa: C901 (one closure keeps the guard's state out of reach)
    """Install the guard in this kernel.

    ``config`` keys: ``keyfile`` (read, then deleted), ``trusted`` (ipykernel's hashes of the
    released lesson's code cells), ``deny_roots``/``allow_roots`` (folders the kernel may not
    touch, and exceptions inside them), ``protect`` (module name prefixes), ``strict``
    (prefixes whose data values are protected too, not only their functions and classes).
    The caller executes this source with a private copy of the builtins, so nothing a
    submission does to ``builtins`` later changes the guard's own name lookups.
    """
    import hashlib
    import json
    import os
    import signal
    import threading
    from _thread import get_ident

    from ipykernel.compiler import get_tmp_directory, get_tmp_hash_seed, murmur2_x86
    from IPython import get_ipython
    from IPython.core.inputtransformer2 import TransformerManager

    with open(config["keyfile"], "rb") as handle:
        key = handle.read()
    os.unlink(config["keyfile"])

    shell = get_ipython()
    sha256 = hashlib.sha256
    dumps = json.dumps
    getframe = sys._getframe
    module_type = types.ModuleType
    function_type = types.FunctionType
    base_setattr = module_type.__setattr__
    vars_ = module_type.__dict__["__dict__"].__get__  # a module's namespace, bypassing ours
    realpath = os.path.realpath
    fspath = os.fspath
    main_thread = threading.main_thread
    current_thread = threading.current_thread
    transform = TransformerManager().transform_cell
    cell_prefix = get_tmp_directory() + os.sep
    # ipykernel names a cell's code by a 32-bit hash of its source; a student could forge a
    # cell with the hash of a lesson cell, so the source compiled under a trusted name must
    # also have the lesson cell's SHA-256
    trusted_sha = {f"{cell_prefix}{number}.py": sha for number, sha in config["trusted"].items()}
    trusted = set(trusted_sha)
    # a root ending in "*" is a name prefix: "/tmp/cnn-grade-*" covers every grading run
    deny_roots = tuple(
        realpath(p[:-1]) if p.endswith("*") else realpath(p).rstrip(os.sep) + os.sep
        for p in config["deny_roots"]
    )
    allow_roots = tuple(realpath(p).rstrip(os.sep) + os.sep for p in config["allow_roots"])
    # this Python and the course's helpers, wherever they live (a clone under /tmp too)
    installed_roots = tuple(
        realpath(p).rstrip(os.sep) + os.sep for p in config.get("installed_roots", [])
    )
    protect = (*config["protect"], "grading_guard")
    strict = tuple(config["strict"])
    busy = set()  # threads inside the guard: their own audit events are not policed
    state = {
        "armed": False,
        "modules": {},  # name -> (module, copy of its __dict__)
        "pinned": {},  # names the set-up cells defined -> values
        "user_names": set(),
        "shell": {},
        "sys": {},
        "signals": {},
        "path": [],
        "imported": {},  # sys.modules at arming time
        "used": set(),  # nonces already answered
        "tickets": {},  # nonce -> (grade id, source) of a test cell the grader issued
        "blocked": [],  # refused operations since the last report
        "outcome": None,  # the last test cell's result
    }
    missing = _MISSING
    hook_lists = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")

    # ------------------------------------------------------------------ helpers

    def mac(*parts):
        return sha256(key + "|".join(parts).encode()).hexdigest()

    def signed(op, nonce, verdict):
        text = dumps(verdict, sort_keys=True, default=str)
        return [op, nonce, text, mac(op, nonce, text)]

    def matches(name, prefixes):
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    def frame_kind(frame):
        """'trusted', 'student' or None (library code) for one frame."""
        name = frame.f_code.co_filename
        if name in trusted or name.startswith("<grading-test:"):
            return "trusted"
        if name.startswith(cell_prefix):
            return "student"
        return None

    def nearest_cell(frame):
        """The kind of the nearest notebook-cell frame at or above ``frame``."""
        while frame is not None:
            kind = frame_kind(frame)
            if kind:
                return kind
            frame = frame.f_back
        return None

    def near_student(frame, depth=2):
        """True when one of the ``depth`` frames at or above ``frame`` is student code."""
        while frame is not None and depth > 0:
            kind = frame_kind(frame)
            if kind:
                return kind == "student"
            frame, depth = frame.f_back, depth - 1
        return False

    def refuse(what):
        state["blocked"].append(what)
        del state["blocked"][:-50]
        raise PermissionError(f"autograding: {what} is not allowed while grading")

    def denied_path(path):
        try:
            if isinstance(path, int):
                return False
            if not isinstance(path, (str, bytes)):
                path = fspath(path)
            if isinstance(path, bytes):
                path = path.decode(errors="replace")
            full = realpath(path) + os.sep
        except Exception:
            return False
        return full.startswith(deny_roots) and not full.startswith(allow_roots)

    def library_callable(value):
        """A function (or method, or partial of one) whose code lives in an installed file:
        what libraries register as hooks, unlike anything written in a notebook cell."""
        for _ in range(5):
            inner = getattr(value, "func", None) or getattr(value, "__func__", None)
            if inner is None:
                break
            value = inner
        code = getattr(value, "__code__", None)
        if code is None and not isinstance(value, type):
            klass = next((k for k in type(value).__mro__ if "__call__" in vars(k)), None)
            code = getattr(vars(klass)["__call__"] if klass else None, "__code__", None)
        if code is None:
            return False
        name = code.co_filename
        return os.path.isabs(name) and not name.startswith(cell_prefix)

    def written_by_kernel(origin):
        """A module file the kernel could have written itself (its folders, /tmp)."""
        places = {os.environ.get("HOME", ""), os.getcwd(), os.environ.get("TMPDIR", ""), "/tmp"}
        full = realpath(origin)
        if full.startswith(installed_roots):
            return False
        return any(p and full.startswith(realpath(p) + os.sep) for p in places)

    def made_up(name, module):
        """A module put in sys.modules by hand (not imported), or one the kernel wrote."""
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or getattr(module, "__file__", None)
        if isinstance(origin, str) and os.path.isabs(origin):
            return written_by_kernel(origin)
        if spec is not None or origin:
            return False
        parent = sys.modules.get(name.rpartition(".")[0]) if "." in name else None
        if parent is not None:
            return hasattr(parent, "__path__")  # a real package imports its submodules
        return name in sys.stdlib_module_names or matches(name, protect)

    # ------------------------------------------------------------------ snapshot and sync

    def shell_objects():
        kernel = getattr(shell, "kernel", None)
        objects = {
            "shell": shell,
            "kernel": kernel,
            "session": getattr(kernel, "session", None),
            "displayhook": shell.displayhook,
            "display_pub": shell.display_pub,
            "events": shell.events,
            "compile": shell.compile,
        }
        return {k: v for k, v in objects.items() if v is not None}

    def snapshot():
        modules = {
            name: module
            for name, module in list(sys.modules.items())
            if isinstance(module, module_type) and matches(name, protect)
        }
        state["modules"] = {n: (m, dict(vars_(m))) for n, m in modules.items()}
        state["imported"] = {n: m for n, m in list(sys.modules.items()) if m is not None}
        for module in modules.values():
            if type(module) is module_type:
                try:
                    module.__class__ = ProtectedModule
                except TypeError:
                    pass
        state["shell"] = {
            "input_transformers_cleanup": list(shell.input_transformers_cleanup),
            "input_transformers_post": list(shell.input_transformers_post),
            "ast_transformers": list(shell.ast_transformers),
            "events": {k: list(v) for k, v in shell.events.callbacks.items()},
            "objects": {
                name: (obj, dict(vars(obj)), dict(getattr(obj, "_trait_values", {})))
                for name, obj in shell_objects().items()
            },
        }
        state["sys"] = {
            name: value
            for name, value in vars_(sys).items()
            if callable(value) and not name.startswith("last_")
        }
        for name in ("stdout", "stderr", "stdin"):
            state["sys"][name] = getattr(sys, name)
        state["sys_lists"] = {"meta_path": list(sys.meta_path), "path_hooks": list(sys.path_hooks)}
        state["path"] = list(sys.path)
        state["signals"] = {
            s: signal.getsignal(s)
            for s in (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGINT)
        }
        user = shell.user_ns
        hidden = ("In", "Out", "exit", "quit", "get_ipython")
        state["pinned"] = {
            k: v for k, v in user.items() if not k.startswith("_") and k not in hidden
        }
        state["user_names"] = set(user)

    def sync(fix):
        """What differs from the snapshot (short descriptions); put it back when ``fix``."""
        changes = []
        for name, (module, saved) in state["modules"].items():
            if name == "sys":
                continue  # compared below: the rest of sys is the interpreter's own state
            live = vars_(module)
            data_too = matches(name, strict)
            for attr, value in saved.items():
                current = live.get(attr, missing)
                if current is value or attr in ("_", "__", "___"):
                    continue
                if isinstance(value, module_type) and isinstance(current, module_type):
                    continue  # a lazy submodule replaced its placeholder
                if not data_too and not (callable(value) or callable(current)):
                    continue  # library state (counters, settings) changes legitimately
                changes.append(f"{name}.{attr}")
                if fix:
                    live[attr] = value
        for name, module in state["imported"].items():
            if sys.modules.get(name, module) is not module:
                changes.append(f"sys.modules[{name!r}]")
                if fix:
                    sys.modules[name] = module
        for name, value in list(sys.modules.items()):
            if name in state["imported"] or not isinstance(value, module_type):
                continue
            if made_up(name, value):
                changes.append(f"sys.modules[{name!r}] (not an installed module)")
                if fix:
                    del sys.modules[name]
        hooks = state["shell"]
        lists = [(f"IPython {a}", getattr(shell, a), hooks[a]) for a in hook_lists]
        for event, saved in hooks["events"].items():
            live = shell.events.callbacks.get(event)
            if live is not None:
                lists.append((f"IPython {event} callbacks", live, saved))
        for label, live, saved in lists:
            kept = [f for f in live if f in saved or library_callable(f)]
            if kept != live:
                changes.append(label)
                if fix:
                    live[:] = kept
        for label, (obj, saved, traits) in hooks["objects"].items():
            live = vars(obj)
            for attr in list(live):
                value, before = live[attr], saved.get(attr, missing)
                if before is value or not callable(value) or library_callable(value):
                    continue
                if before is missing:
                    changes.append(f"{label}.{attr}")
                    if fix:
                        del live[attr]
                elif callable(before):
                    changes.append(f"{label}.{attr}")
                    if fix:
                        live[attr] = before
            live_traits = getattr(obj, "_trait_values", None)
            for attr, before in traits.items():
                if live_traits is not None and callable(before):
                    value = live_traits.get(attr, missing)
                    if value is not before and not library_callable(value):
                        changes.append(f"{label}.{attr}")
                        if fix:
                            live_traits[attr] = before
        for name, value in state["sys"].items():
            if vars_(sys).get(name, missing) is not value:
                if name not in ("stdout", "stderr", "stdin"):  # redirected output: quietly
                    changes.append(f"sys.{name}")
                if fix:
                    base_setattr(sys, name, value)
        for name, saved in state["sys_lists"].items():
            live = getattr(sys, name)
            if live != saved:
                changes.append(f"sys.{name}")
                if fix:
                    live[:] = saved
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changes.append("a trace or profile function")
            if fix:
                sys.settrace(None)
                sys.setprofile(None)
        in_main = current_thread() is main_thread()
        for signum, handler in state["signals"].items():
            if signal.getsignal(signum) is not handler:
                changes.append(f"the {signal.Signals(signum).name} handler")
                if fix and in_main:
                    signal.signal(signum, handler)
        for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            if signal.getitimer(timer)[0]:
                changes.append("a pending timer signal")
                if fix:
                    signal.setitimer(timer, 0)
        return changes

    # ------------------------------------------------------------------ running a test cell

    def run_test(nonce):
        """Run the test cell the grader issued under ``nonce`` (inside the audit hook's call,
        with the guard's busy mark cleared, so the test's callees are policed as usual)."""
        tid = get_ident()
        ticket = state["tickets"].pop(nonce, None)
        if ticket is None:
            state["outcome"] = {"ran": False, "status": "no ticket"}
            raise PermissionError("autograding: this test cell was not issued by the grader")
        grade_id, source = ticket
        outcome = state["outcome"] = {"grade_id": grade_id, "ran": False, "status": "not run"}
        busy.add(tid)
        try:
            user = shell.user_ns
            builtins_copy = dict(state["modules"]["builtins"][1])
            namespace = {
                k: v
                for k, v in user.items()
                if not (k in builtins_copy and k not in state["user_names"])
            }
            shadowed = sorted(k for k, v in state["pinned"].items() if user.get(k, v) is not v)
            if shadowed:
                outcome["shadowed"] = shadowed
            namespace.update(state["pinned"])
            namespace["__builtins__"] = builtins_copy
            namespace["__name__"] = "__main__"
            initial = dict(namespace)
            code = compile(transform(source), f"<grading-test:{grade_id}>", "exec")
            saved_path = list(sys.path)
            cwd = realpath(os.getcwd())
            sys.path[:] = [p for p in state["path"] if p and realpath(p) != cwd]
        finally:
            busy.discard(tid)
        outcome["ran"] = True
        try:
            exec(code, namespace)
        except BaseException as error:
            try:
                evalue = str(error)
            except Exception:
                evalue = "(an error whose message cannot be shown)"
            outcome.update(status="error", ename=type(error).__name__, evalue=evalue[:2000])
            raise
        else:
            outcome["status"] = "ok"
        finally:
            busy.add(tid)
            try:
                sys.path[:] = saved_path
                for name, value in namespace.items():
                    if name != "__builtins__" and initial.get(name, missing) is not value:
                        user[name] = value
            finally:
                busy.discard(tid)

    # ------------------------------------------------------------------ requests

    def handle_request(args):
        """Answer one signed request; return the test to run for a ``run`` request."""
        if len(args) < 4 or not isinstance(args[3], list):
            return None
        op, nonce, signature, box = args[0], args[1], args[2], args[3]
        if op == "run":
            return lambda: run_test(nonce)
        if nonce in state["used"] or signature != mac(op, nonce, *[str(a) for a in args[4:]]):
            state["blocked"].append(f"a forged grading request ({op})")
            return None
        state["used"].add(nonce)
        if op == "arm":
            snapshot()
            state["armed"] = True
            box.append(signed(op, nonce, {"modules": len(state["modules"])}))
        elif op == "restore":
            state["tickets"][args[5]] = (args[4], args[6])
            wrapper = WRAPPER.format(nonce=args[5])  # the cell that will ask for this test
            trusted.add(f"{cell_prefix}{murmur2_x86(wrapper, get_tmp_hash_seed())}.py")
            box.append(signed(op, nonce, {"changes": sync(fix=True)}))
        elif op == "verdict":
            outcome = state["outcome"] or {"ran": False, "status": "not run"}
            state["outcome"] = None
            verdict = dict(outcome, during=sync(fix=True), blocked=list(state["blocked"]))
            state["blocked"].clear()
            box.append(signed(op, nonce, verdict))
        elif op in ("report", "ping"):
            verdict = {"blocked": list(state["blocked"]), "armed": state["armed"]}
            state["blocked"].clear()
            box.append(signed(op, nonce, verdict))
        return None

    # ------------------------------------------------------------------ the audit hook

    network = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"}
    network |= {"socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "socket.bind"}
    spawning = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"}
    spawning |= {"os.fork", "os.forkpty", "pty.spawn", "os.startfile"}
    near = {"sys._getframe", "sys._current_frames", "gc.get_referrers", "gc.get_referents"}
    near |= {"gc.get_objects", "ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof"}
    near |= {"ctypes.cdata", "ctypes.string_at", "ctypes.wstring_at", "ctypes.call_function"}
    near |= {"ctypes.PyObj_FromPtr", "ctypes.cdata/buffer"}
    anywhere = {"sys.settrace", "sys.setprofile", "code.__new__", "_thread.start_new_thread"}
    anywhere |= {"sys.addaudithook", "compile", "object.__setattr__", "object.__delattr__"}
    anywhere |= {"grading.module_write", "grading.module_dict"}
    frame_attrs = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code", "gi_code"}
    file_events = {"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir"}
    file_events |= {"os.mkdir", "os.chmod", "os.chown", "os.link", "os.symlink", "os.truncate"}
    file_events |= {"os.utime", "shutil.copyfile", "shutil.rmtree", "glob.glob", "os.chdir"}
    file_events |= {"sqlite3.connect", "dbm.open", "shutil.copytree", "shutil.move"}
    function_attrs = {"__code__", "__defaults__", "__kwdefaults__"}
    import_attrs = {"__loader__", "__spec__", "__package__", "__path__", "__file__", "__cached__"}
    metadata = {"__module__", "__doc__", "__qualname__", "__name__", "__annotations__"}
    metadata |= {"__signature__", "__wrapped__", "__text_signature__", "__firstlineno__"}

    def police(event, args, caller):
        """Refuse ``event`` when the policy says so (the caller holds the busy mark)."""
        if event == "compile" and len(args) > 1 and args[1] in trusted_sha:
            source = args[0].encode() if isinstance(args[0], str) else args[0]
            if isinstance(source, bytes) and sha256(source).hexdigest() != trusted_sha[args[1]]:
                trusted.discard(args[1])  # a look-alike: its cells are student code after all
                del trusted_sha[args[1]]
                state["blocked"].append("a cell forged to pass for one of the lesson's")
        if event in near:
            if near_student(caller):
                refuse(event)
            return
        if event == "object.__getattr__":
            if len(args) > 1 and args[1] in frame_attrs and near_student(caller):
                refuse(f"reading .{args[1]}")
            return
        if event == "grading.module_dict":
            if near_student(caller.f_back, depth=1):  # the code that wrote `np.__dict__`
                refuse(f"taking {args[0].__name__}.__dict__")
            return
        if event == "grading.module_write":
            module, name, value = args
            if nearest_cell(caller.f_back) != "student":
                return
            current = vars_(module).get(name, missing)
            if current is missing and value is not missing:
                return  # a new name shadows nothing
            if isinstance(value, module_type) and not isinstance(current, module_type):
                return  # an import binding a submodule
            if module.__name__ == "sys" and not (
                callable(current) or name in ("modules", "meta_path", "path_hooks")
            ):
                return  # sys.stdout and friends may be redirected
            if name in import_attrs:
                return  # the import system (re)initialising a module
            what = "deleting" if value is missing else "replacing"
            refuse(f"{what} {module.__name__}.{name}")
            return
        if nearest_cell(caller) != "student":
            return
        if event in ("object.__setattr__", "object.__delattr__"):
            target, attr = args[0], args[1]
            if attr in metadata:
                return
            if isinstance(target, type):
                owner = getattr(target, "__module__", "") or ""
                if matches(owner, protect):
                    refuse(f"changing {owner}.{target.__name__}.{attr}")
            elif isinstance(target, function_type) and attr in function_attrs:
                if frame_kind_of_code(target) != "student":
                    refuse(f"changing {target.__qualname__}.{attr}")
        elif event == "compile":
            filename = args[1] if len(args) > 1 else ""
            if isinstance(filename, bytes):
                filename = filename.decode(errors="replace")
            if isinstance(filename, str) and (
                filename.startswith(("<grading-test:", cell_prefix)) or filename in trusted
            ):
                refuse("compiling code under a notebook cell's name")
        else:  # settrace, setprofile, code objects, threads, audit hooks
            refuse(event)

    def frame_kind_of_code(function):
        name = function.__code__.co_filename
        if name.startswith(cell_prefix) and name not in trusted:
            return "student"
        return None

    def hook(event, args):
        tid = get_ident()
        if tid in busy:
            return
        if event == "grading.guard":
            busy.add(tid)
            try:
                action = handle_request(args)
            finally:
                busy.discard(tid)
            if action is not None:
                action()
            return
        if not state["armed"]:
            return
        if event == "object.__getattr__" and (len(args) < 2 or args[1] not in frame_attrs):
            return  # the common case: __code__ or __defaults__ read by a library
        busy.add(tid)
        try:
            dispatch(event, args, getframe(1))
        finally:
            busy.discard(tid)

    def dispatch(event, args, caller):
        """Apply the policy to one audited operation (the caller holds the busy mark)."""
        if event in file_events:
            if args and denied_path(args[0]):
                refuse(f"access to {args[0]!s}")
        elif event == "socket.__new__":
            if len(args) > 1 and args[1] in (2, 10, 17):  # AF_INET, AF_INET6, AF_PACKET
                refuse("opening a network socket")
        elif event == "socket.connect":
            address = args[1] if len(args) > 1 else None
            if not isinstance(address, (str, bytes)) or denied_path(address):
                refuse(f"connecting to {address!r}")
        elif event in network:
            refuse(f"network access ({event})")
        elif event in spawning:
            refuse(f"starting a program ({event})")
        elif event in near or event in anywhere or event == "object.__getattr__":
            police(event, args, caller)

    sys.addaudithook(hook)
    return True
