#!/bin/sh
printf "Content-Type: text/plain\r\n\r\nhello from CGI, PATH_INFO=%s\n" "$PATH_INFO"
