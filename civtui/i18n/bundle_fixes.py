"""Strings for USB-stick bundles without a link: a fault said on 待同步, a token kept
without the server (`civtui login --offline`), and which file an export wrote."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # screens.pending: an error no bundle code expected, said and logged, never dropped
    "bundle.failed": (
        "U盘同步意外出错（{error}），没有完成。已保存的记录都在；错误详情已写入 {path}，"
        "请把这个文件交给乡镇民政办或技术支持。",
        "The USB sync met an unexpected error ({error}) and did not finish. Saved records "
        "are safe; the details are in {path}: please send that file to the township office "
        "or support.",
    ),
    # the app's e/r and civtui bundle export|import with no token kept
    "bundle.not_logged_in": (
        "本机还没有保存同步令牌，数据包要用它签名。请向乡镇要令牌，在命令行运行 "
        "civtui login --server {url} --offline（不需要联网），或设置环境变量 CIVTUI_TOKEN",
        "No sync token is kept on this laptop, and a bundle is signed with it. Get the "
        "token from the township and run civtui login --server {url} --offline (no link "
        "needed), or set CIVTUI_TOKEN",
    ),
    "bundle.server_placeholder": ("乡镇服务器地址", "TOWNSHIP-SERVER-URL"),
    # civtui login --offline (civtui.cli.sync)
    "bundle.login_offline": (
        "令牌已保存在本机（未联网核对），服务器地址 {url}；U盘数据包将以它签名，"
        "第一次联网同步时服务器会核对它",
        "Token kept on this laptop (not checked online) for {url}; USB bundles are signed "
        "with it, and the server checks it at the first online sync",
    ),
    "bundle.login_offline_no_key": (
        "本机还没有服务器公钥：请把乡镇给的公钥文件拷过来，运行 civtui bundle trust 文件，"
        "并电话核对指纹",
        "This laptop has no server key yet: copy the township's key file here, run civtui "
        "bundle trust FILE, and check its fingerprint by phone",
    ),
}

#: English `--help` of `civtui login --offline`, by its Chinese text.
HELP_EN: dict[str, str] = {
    "不联网：只把令牌和服务器地址保存在本机，供连不上服务器、用U盘同步的电脑；"
    "第一次联网同步时才核对令牌。": "Offline: only keep the token and the server's address "
    "on this laptop, for one that cannot reach the server and syncs by USB stick; the "
    "token is checked at the first online sync.",
}
