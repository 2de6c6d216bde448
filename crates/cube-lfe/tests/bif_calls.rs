//! Unqualified calls of auto-imported BIFs are compiled to call the BIF directly
//! (`Op::CallBif`); they must still find what a call of the name finds at the time
//! it runs: a local function (`flet`) of the name, or a top-level function defined
//! after the call was compiled.

mod common;

use cube_lfe::ScriptOptions;

fn run(src: &str) -> String {
    let (out, err, status) = common::run_captured(src, "bifs.lfe", &[], &ScriptOptions::default());
    assert_eq!(status, 0, "{err}");
    out
}

#[test]
fn a_bif_call_finds_local_and_later_top_level_functions_of_its_name() {
    let out = run(concat!(
        "(defun f (x) (abs x))\n",
        "(io:format \"~p~n\" (list (f -1)))\n",
        "(flet ((abs (x) (list 'local x))) (io:format \"~p~n\" (list (abs -2))))\n",
        "(defun abs (x) (list 'mine x))\n",
        // `f` was compiled when `abs/1` was the BIF: it now calls the function.
        "(io:format \"~p~n\" (list (f -3)))\n",
        "(io:format \"~p~n\" (list (abs -4)))\n",
        // Other BIFs are still the BIFs.
        "(io:format \"~p~n\" (list (lists:map (lambda (y) (- y)) '(1 2))))\n",
    ));
    assert_eq!(out, "1\n[local,-2]\n[mine,-3]\n[mine,-4]\n[-1,-2]\n");
}

#[test]
fn a_bif_of_another_arity_is_not_shadowed() {
    let out = run(concat!(
        "(defun element (x) (list 'one x))\n",
        "(io:format \"~p ~p~n\" (list (element 1) (element 2 #(a b))))\n",
    ));
    assert_eq!(out, "[one,1] b\n");
}
