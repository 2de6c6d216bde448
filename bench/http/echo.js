// nginx's side of bench/run-http's JSON echo (njs, the Debian package
// libnginx-mod-http-js): decode the body, encode it again, as the other servers do.
function echo(r) {
    var value;
    try {
        value = JSON.parse(r.requestText);
    } catch (e) {
        r.return(400, String(e));
        return;
    }
    r.headersOut['Content-Type'] = 'application/json';
    r.return(200, JSON.stringify(value));
}

export default { echo };
