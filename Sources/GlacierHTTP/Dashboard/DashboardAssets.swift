/// The dashboard's style sheet, script and icon, compiled into the binary: no files to
/// install, nothing fetched from another origin.
enum DashboardAssets {
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4e89"/><path d="M5 23 L13 10 L17 16 L20 12 L27 23 Z" fill="#e8f1fb"/><path d="M13 10 L15.2 13.6 L13 15 L10.9 13.4 Z" fill="#9cc3ea"/></svg>
        """

    static let styleSheet = """
        :root { --bg: #f4f6f9; --panel: #fff; --ink: #1b2430; --muted: #667085; --line: #e3e8ef; --brand: #1d4e89;
          --brand-ink: #e8f1fb; --ok: #1f8a4c; --ok-bg: #e5f5ec; --bad: #c0362c; --bad-bg: #fdecea; --warn: #a15c00;
          --warn-bg: #fff4e0; --run: #1d5fa8; --run-bg: #e6f0fb; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          color: var(--ink); background: var(--bg); }
        a { color: var(--brand); text-decoration: none; } a:hover { text-decoration: underline; }
        code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
        header.top { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 54px; background: var(--brand);
          color: var(--brand-ink); position: sticky; top: 0; z-index: 2; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
        header.top a { color: var(--brand-ink); }
        .brand { display: flex; align-items: center; gap: 9px; font-weight: 650; font-size: 16px; letter-spacing: .2px; }
        .brand img { border-radius: 5px; box-shadow: 0 0 0 1px rgba(255,255,255,.35); }
        header nav { display: flex; gap: 4px; }
        header nav a { padding: 6px 12px; border-radius: 6px; opacity: .85; }
        header nav a:hover { background: rgba(255,255,255,.12); text-decoration: none; opacity: 1; }
        header nav a.current { background: rgba(255,255,255,.18); opacity: 1; font-weight: 600; }
        .top-right { margin-left: auto; display: flex; align-items: center; gap: 16px; font-size: 13px; }
        .top-right .muted { color: #b9cfe8; }
        .live { display: flex; align-items: center; gap: 5px; color: #d3e3f5; cursor: pointer; }
        main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 32px; }
        h1 { font-size: 22px; margin: 6px 0 14px; font-weight: 650; word-break: break-all; }
        h2 { font-size: 15px; margin: 0 0 12px; font-weight: 650; }
        h3 { font-size: 13px; margin: 14px 0 8px; font-weight: 650; color: #344054; text-transform: uppercase; letter-spacing: .4px; }
        .muted { color: var(--muted); font-weight: normal; }
        .small { font-size: 12px; }
        .crumbs { margin: 0; color: var(--muted); font-size: 13px; }
        .arn { margin: -8px 0 16px; color: var(--muted); word-break: break-all; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 16px; }
        .card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
        .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
        .card .value { font-size: 24px; font-weight: 650; margin-top: 2px; }
        .card .value.small { font-size: 14px; padding-top: 7px; font-weight: 600; }
        .card .sub { color: var(--muted); font-size: 12px; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; overflow-x: auto; }
        .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
        .columns > .panel { margin-bottom: 0; }
        main > .columns { margin-bottom: 16px; }
        @media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
        table.grid { border-collapse: collapse; width: 100%; }
        table.grid th, table.grid td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        table.grid thead th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .4px;
          background: #f9fafb; white-space: nowrap; }
        table.grid tfoot th { border-bottom: none; border-top: 2px solid var(--line); }
        table.grid tbody tr:hover { background: #f8fafc; }
        table.grid.compact td, table.grid.compact th { padding: 4px 8px; }
        table.grid td code { white-space: nowrap; }
        .num { text-align: right !important; font-variant-numeric: tabular-nums; }
        td.desc, .desc { word-break: break-word; max-width: 380px; }
        tr.err { background: var(--bad-bg); } tr.err:hover { background: #fbe1de !important; }
        .code { color: var(--bad); font-weight: 600; }
        .message { color: #5b2520; font-size: 12.5px; word-break: break-word; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
        .badge.ok { background: var(--ok-bg); color: var(--ok); } .badge.bad { background: var(--bad-bg); color: var(--bad); }
        .badge.warn { background: var(--warn-bg); color: var(--warn); } .badge.run { background: var(--run-bg); color: var(--run); }
        .empty { color: var(--muted); margin: 4px 0; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .btn { font: inherit; font-weight: 600; border: 1px solid #c7d2e0; background: #fff; color: var(--ink); border-radius: 7px;
          padding: 6px 14px; cursor: pointer; white-space: nowrap; }
        .btn:hover { background: #f2f5f9; text-decoration: none; } .btn:disabled { opacity: .5; cursor: wait; }
        .btn.danger { border-color: #e8b4ae; color: var(--bad); } .btn.danger:hover { background: var(--bad-bg); }
        .btn.small { padding: 2px 10px; font-size: 12.5px; }
        form.action { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin: 0; }
        form.action label, form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
        input, select { font: inherit; padding: 5px 8px; border: 1px solid #c7d2e0; border-radius: 6px; background: #fff; color: var(--ink); }
        input.narrow { width: 90px; }
        #arm-fault { align-items: flex-end; }
        .action-row form.action { flex-wrap: nowrap; flex-shrink: 0; }
        .action-row { display: flex; justify-content: space-between; align-items: center; gap: 16px; padding: 10px 0; border-bottom: 1px solid var(--line); }
        .action-row:last-child { border-bottom: none; } .action-row p { margin: 2px 0 0; font-size: 12.5px; }
        form.filters { display: flex; align-items: flex-end; gap: 12px; margin-bottom: 14px; flex-wrap: wrap; }
        .pager { display: flex; gap: 14px; align-items: center; justify-content: flex-end; margin-top: 12px; color: var(--muted); }
        .pager .at { color: var(--ink); font-weight: 600; }
        a.sort { color: inherit; } a.sort.active { color: var(--brand); }
        pre.policy { background: #f6f8fa; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; white-space: pre-wrap;
          word-break: break-word; max-height: 320px; overflow: auto; margin: 0; }
        article.upload { border: 1px solid var(--line); border-radius: 9px; padding: 12px 14px; margin-bottom: 12px; }
        .upload-head { display: flex; justify-content: space-between; gap: 12px; margin-bottom: 10px; flex-wrap: wrap; }
        svg.partsmap { width: 100%; height: 34px; display: block; }
        svg.partsmap .p-ok rect { fill: #34a365; } svg.partsmap .p-ok:hover rect { fill: #23824d; }
        svg.partsmap .p-miss rect { fill: #fbe3e0; stroke: #d9534f; stroke-width: 1.5; stroke-dasharray: 4 3; }
        svg.partsmap text { font: 600 13px system-ui, sans-serif; fill: #fff; pointer-events: none; }
        svg.partsmap .p-miss text { fill: var(--bad); }
        .legend { margin: 8px 0 0; font-size: 12.5px; display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
        .legend .key { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-left: 6px; }
        .legend .key.ok { background: #34a365; } .legend .key.miss { background: #fbe3e0; border: 1.5px dashed #d9534f; }
        .toolbar { display: flex; align-items: center; gap: 12px; margin: -4px 0 16px; }
        p.note { font-size: 12.5px; margin: 10px 0 0; }
        td.inventory, th.inventory { white-space: nowrap; }
        .missing-list { color: var(--bad); font-size: 12.5px; margin: 6px 0 0; }
        details summary { cursor: pointer; color: var(--brand); margin-top: 8px; }
        #flash { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
        #flash.show { padding-top: 14px; }
        #flash .note { border-radius: 8px; padding: 9px 14px; font-weight: 500; }
        #flash .note.ok { background: var(--ok-bg); color: var(--ok); border: 1px solid #b7e1c8; }
        #flash .note.bad { background: var(--bad-bg); color: var(--bad); border: 1px solid #f1bdb7; }
        footer { max-width: 1240px; margin: 0 auto; padding: 0 24px 28px; color: var(--muted); font-size: 12px; }
        """

    static let script = """
        // glacier-mock dashboard: polls GET /_mock/ui/state and, when the server's state moved,
        // fetches the page again and swaps its <main>; sends the action forms to the admin
        // endpoints as JSON. The pages are rendered (and escaped) by the server: this script
        // never builds markup from data.
        (function () {
          'use strict';
          var stateURL = document.body.getAttribute('data-state');
          var lastKey = null;
          var refreshing = false;
          var again = false;

          function flash(kind, text) {
            var box = document.getElementById('flash');
            box.textContent = '';
            var note = document.createElement('div');
            note.className = 'note ' + kind;
            note.textContent = text;
            box.appendChild(note);
            box.className = 'show';
            clearTimeout(flash.timer);
            flash.timer = setTimeout(function () { box.textContent = ''; box.className = ''; }, 8000);
          }

          function editing() {
            var el = document.activeElement;
            var main = document.getElementById('main');
            return !!(el && main && main.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
          }

          // A refresh asked for while one is in flight runs again after it, so that a change
          // seen meanwhile is not lost.
          function refresh() {
            if (refreshing) { again = true; return Promise.resolve(); }
            refreshing = true;
            return fetch(location.href, { cache: 'no-store' }).then(function (r) { return r.text(); }).then(function (text) {
              var doc = new DOMParser().parseFromString(text, 'text/html');
              var fresh = doc.getElementById('main');
              var main = document.getElementById('main');
              if (!fresh || !main) { return; }
              var open = [];
              main.querySelectorAll('details').forEach(function (d, i) { if (d.open) { open.push(i); } });
              var node = document.importNode(fresh, true);
              main.replaceWith(node);
              var details = node.querySelectorAll('details');
              open.forEach(function (i) { if (details[i]) { details[i].open = true; } });
              var clock = doc.getElementById('clock');
              var current = document.getElementById('clock');
              if (clock && current) { current.replaceWith(document.importNode(clock, true)); }
              document.title = doc.title;
            }).finally(function () {
              refreshing = false;
              if (again) { again = false; refresh(); }
            });
          }

          function poll() {
            var live = document.getElementById('live');
            if ((live && !live.checked) || document.hidden) { return; }
            fetch(stateURL, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
              var time = document.querySelector('#clock time');
              if (time) { time.textContent = s.Now.slice(0, 10) + ' ' + s.Now.slice(11, 19) + ' UTC'; time.setAttribute('datetime', s.Now); }
              var key = [s.Changes, s.LastRequest, s.Faults, s.OffsetSeconds].join('/');
              if (lastKey === null) { lastKey = key; return; }
              if (key !== lastKey && !editing()) { lastKey = key; refresh(); }
            }).catch(function () { /* the server stopped; the next poll tries again */ });
          }

          function describe(form, answer) {
            if (typeof answer.completed === 'number') { return 'Completed ' + answer.completed + ' pending job(s).'; }
            if (typeof answer.cleared === 'number') { return 'Disarmed ' + answer.cleared + ' fault rule(s).'; }
            if (answer.Now) { return 'The server clock is now ' + answer.Now + '.'; }
            if (answer.Faults) { return 'Fault armed; ' + answer.Faults.length + ' rule(s) armed.'; }
            if (answer.Inventories) {
              var taken = answer.Inventories.filter(function (v) { return v.Taken; }).length;
              return 'Took ' + taken + ' inventory(ies); ' + (answer.Inventories.length - taken) + ' vault(s) unchanged since their last one.';
            }
            return form.getAttribute('data-done') || 'Done.';
          }

          document.addEventListener('submit', function (event) {
            var form = event.target;
            if (!form.classList || !form.classList.contains('action')) { return; }
            event.preventDefault();
            var question = form.getAttribute('data-confirm');
            if (question && !window.confirm(question)) { return; }
            var body = {};
            var any = false;
            form.querySelectorAll('[data-json]').forEach(function (field) {
              var value = field.value.trim();
              if (value === '') { return; }
              if (field.getAttribute('data-type') === 'int') {
                value = parseInt(value, 10);
                if (field.name === 'DelayMilliseconds' && value === 0) { return; }
              }
              body[field.getAttribute('data-json')] = value;
              any = true;
            });
            if (form.elements.amount && form.elements.unit) {
              body = { AdvanceSeconds: parseInt(form.elements.amount.value, 10) * parseInt(form.elements.unit.value, 10) };
              any = true;
            }
            var button = form.querySelector('button');
            if (button) { button.disabled = true; }
            var init = { method: form.getAttribute('data-method') || 'POST', cache: 'no-store' };
            if (any) { init.headers = { 'Content-Type': 'application/json' }; init.body = JSON.stringify(body); }
            fetch(form.getAttribute('data-endpoint'), init).then(function (r) {
              return r.json().then(function (answer) { return { ok: r.ok, answer: answer }; });
            }).then(function (result) {
              if (result.ok) { flash('ok', describe(form, result.answer)); }
              else { flash('bad', result.answer.code + ': ' + result.answer.message); }
              return refresh();
            }).catch(function (error) {
              flash('bad', 'The request failed: ' + error);
            }).finally(function () { if (button) { button.disabled = false; } });
          });

          setInterval(poll, 1500);
          poll();
        }());
        """
}
