// Upload progress for file forms (progressive enhancement: without this script the form posts
// as usual). The file is sent with XMLHttpRequest so its progress can be shown; when the
// server answers, the page it redirected to is opened, as a plain post would; a page of
// problems (4xx) is shown as the answer. (The forms
// have a field named `action`, so the form's own address is read as an attribute.)
(function () {
  function label(form) {
    return form.getAttribute('data-progress-label') || 'Đang tải lên';
  }
  document.querySelectorAll('form[enctype="multipart/form-data"]').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      var file = form.querySelector('input[type=file]');
      if (!file || !file.files || file.files.length === 0 || !window.FormData) return;
      ev.preventDefault();
      var button = form.querySelector('button[type=submit]');
      if (button) button.disabled = true;
      var bar = form.querySelector('progress') || document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', label(form));
      var status = form.querySelector('.upload-status') || document.createElement('p');
      status.className = 'upload-status';
      status.setAttribute('role', 'status');
      form.appendChild(bar);
      form.appendChild(status);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.getAttribute('action'));
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        status.textContent = label(form) + ': ' + pct + ' %';
      });
      xhr.addEventListener('load', function () {
        bar.value = 100;
        if (xhr.status >= 400) {
          // The server answered with the form and its problems: show that page as it is.
          document.open();
          document.write(xhr.responseText);
          document.close();
          return;
        }
        window.location.assign(xhr.responseURL || form.getAttribute('action'));
      });
      xhr.addEventListener('error', function () {
        if (button) button.disabled = false;
        status.textContent = form.getAttribute('data-error-label') || 'Không tải lên được; hãy thử lại.';
      });
      xhr.send(new FormData(form));
    });
  });
})();
