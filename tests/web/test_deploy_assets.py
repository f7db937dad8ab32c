"""`localnet deploy` of `"type": "assets"` canisters (subprocesses, like a developer runs it):
the dfx.json `build` commands run with the project's CANISTER_ID_* variables, the `source`
directories are uploaded to localnet's asset canister, and `localnet start` serves them at
`http://<id>.localhost:<port>/`, across redeploys and with clear errors."""

import json
import os
import sys

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "network"))

from test_cli import Replica, cli, env_for, one_line_error  # noqa: E402

BUILD = (
    "python3 -c \"import os; os.makedirs('site/dist', exist_ok=True); "
    "open('site/dist/index.html', 'w').write('<h1>built with ' + "
    "os.environ.get('CANISTER_ID_API', 'none') + '</h1>')\""
)


def project(tmp_path, build=BUILD):
    proj = tmp_path / "proj"
    (proj / "src" / "api").mkdir(parents=True)
    (proj / "src" / "api" / "main.py").write_text(
        "from kybra import query\n\n\n@query\ndef hello() -> str:\n    return 'hi'\n"
    )
    (proj / "dfx.json").write_text(
        json.dumps(
            {
                "canisters": {
                    "api": {"type": "kybra", "main": "src/api/main.py"},
                    "web": {"type": "assets", "source": ["site/dist", "site/static"], "build": build},
                }
            }
        )
    )
    (proj / "site" / "static").mkdir(parents=True)
    (proj / "site" / "static" / "app.js").write_text("console.log('static');\n")
    return proj


def test_deploy_builds_uploads_and_serves(tmp_path):
    replica = Replica(tmp_path, tmp_path / "state")
    try:
        env = env_for(tmp_path, replica.url)
        proj = project(tmp_path)
        proc = cli(env, "deploy", cwd=proj, timeout=300)
        assert proc.returncode == 0, proc.stderr
        ids = json.loads((proj / ".dfx" / "local" / "canister_ids.json").read_text())
        web, api = ids["web"]["local"], ids["api"]["local"]
        assert "[web] 2 file(s) uploaded, 0 unchanged, 0 deleted" in proc.stdout
        with httpx.Client(timeout=60) as http:
            page = http.get(f"{replica.url}/", headers={"Host": f"{web}.localhost:{replica.port}"})
            assert page.status_code == 200 and page.text == f"<h1>built with {api}</h1>"
            js = http.get(f"{replica.url}/app.js?canisterId={web}")
            assert js.text == "console.log('static');\n"
            assert js.headers["content-type"] == "text/javascript"
        # a redeploy upgrades the asset canister and uploads only what changed
        (proj / "site" / "static" / "app.js").unlink()
        proc = cli(env, "deploy", "web", cwd=proj, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "[web] 0 file(s) uploaded, 1 unchanged, 1 deleted" in proc.stdout
        assert f"Deployed web: {web} (upgrade)" in proc.stdout
        with httpx.Client(timeout=60) as http:
            assert http.get(f"{replica.url}/app.js?canisterId={web}").status_code == 404
    finally:
        replica.stop()


def test_failed_build_and_missing_source_are_one_line_errors(tmp_path):
    replica = Replica(tmp_path, tmp_path / "state")
    try:
        env = env_for(tmp_path, replica.url)
        proj = project(tmp_path, build="python3 -c \"raise SystemExit('no bundler here')\"")
        proc = cli(env, "deploy", "web", cwd=proj, timeout=300)
        assert proc.returncode == 1
        assert proc.stderr.startswith("Error: web: build command")
        assert "no bundler here" in proc.stderr
        (proj / "dfx.json").write_text(json.dumps({"canisters": {"web": {"type": "assets", "source": ["nowhere"]}}}))
        message = one_line_error(cli(env, "deploy", "web", cwd=proj, timeout=300))
        assert "asset source directory" in message and "does not exist" in message
        (proj / "dfx.json").write_text(json.dumps({"canisters": {"web": {"type": "assets"}}}))
        message = one_line_error(cli(env, "deploy", "web", cwd=proj, timeout=300))
        assert "needs a `source` list" in message
    finally:
        replica.stop()
