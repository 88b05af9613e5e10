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
}
