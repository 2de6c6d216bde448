%% The Erlang side of cube-dist's link and monitor tests (tests/signals.rs): a
%% registered `ctl` process that spawns processes on command and reports, on stdout,
%% how each of them ended.
-module(dist_peer).
-export([start/0]).

start() ->
    register(ctl, self()),
    io:format("up~n"),
    loop().

loop() ->
    receive
        %% A process that links to and monitors Cube, then dies with `boom` on `die`.
        {linker, Cube} ->
            Pid = spawn(fun() ->
                link(Cube),
                erlang:monitor(process, Cube),
                Cube ! {linked, self()},
                receive die -> exit(boom) end
            end),
            watch(linker, Pid);
        %% A process that links to Cube, then unlinks on `unlink`.
        {unlinker, Cube} ->
            Pid = spawn(fun() ->
                link(Cube),
                Cube ! {linked, self()},
                receive unlink -> unlink(Cube), Cube ! unlinked end,
                receive die -> exit(bye) end
            end),
            watch(unlinker, Pid);
        %% A process registered as Name that dies with `bye` on `die`.
        {target, Cube, Name} ->
            %% It announces itself only once its watcher monitors it: a signal Cube
            %% sends at once must not kill it before the monitor exists (noproc).
            Pid = spawn(fun() ->
                register(Name, self()),
                receive watched -> ok end,
                Cube ! {target, Name, self()},
                receive die -> exit(bye) end
            end),
            watch(Name, Pid, fun() -> Pid ! watched end)
    end,
    loop().

%% Prints "down Tag Reason" when Pid ends.
watch(Tag, Pid) ->
    watch(Tag, Pid, fun() -> ok end).

%% The same, calling Then once the monitor is in place.
watch(Tag, Pid, Then) ->
    spawn(fun() ->
        Ref = erlang:monitor(process, Pid),
        Then(),
        receive {'DOWN', Ref, process, _, Reason} -> io:format("down ~p ~p~n", [Tag, Reason]) end
    end).
