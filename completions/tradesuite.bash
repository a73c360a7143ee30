# bash completion for TradeSuite's programs (installed once as
# share/bash-completion/completions/tradesuite, with a link for each
# program). Options come from the program's own --help, so they never drift
# from it; commands, exchanges, timeframes and topic kinds are completed
# where a program takes them.

_tradesuite_help_opts() # PROG: the options --help lists
{
	"$1" --help 2>/dev/null |
	    grep -oE -- '(^|[[ ,|])--?[A-Za-z][-A-Za-z0-9]*' |
	    sed 's/^[[ ,|]*//' | sort -u
}

_tradesuite_exchanges() # PROG: from "Exchanges: a, b, c." in ts-feed's --help
{
	"$1" --help 2>/dev/null | sed -n 's/^Exchanges: //p' | tr -d ',.'
}

_tradesuite()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local prog=${COMP_WORDS[0]} name=${COMP_WORDS[0]##*/}
	local i w cmd= nargs=0 words

	COMPREPLY=()
	case $prev in
	-B|--bus)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-c|--config|-f|--rules|--state|-d|--db|--layout|--replay|--tls|--influx-spool)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-t|--timeframes|--timeframe)
		COMPREPLY=($(compgen -W "1s 5s 15s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w" -- "$cur"))
		return ;;
	--channels)
		COMPREPLY=($(compgen -W "trades book trades,book" -- "$cur")); return ;;
	--format)
		COMPREPLY=($(compgen -W "json csv" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_tradesuite_help_opts "$prog")" -- "$cur"))
		return
	fi
	# the words before this one that are not options (nor their arguments)
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-B|--bus|-c|--config|-f|--rules|--state|-d|--db|-t|--timeframes|--channels|\
		--format|-n|-w|-r|-g|-S|--url|--rest|-o|--option|--layout|--since|--until|--limit)
			((i++)) ;;
		-*) ;;
		*) [[ -z $cmd ]] && cmd=$w; ((nargs++)) ;;
		esac
	done
	case $name in
	ts-alert) words="run add list rm enable disable test check" ;;
	ts-store) words="collect query import stats gaps prune history" ;;
	ts-supervisor) words="status stop restart keygen paths" ;;
	ts-feed) words=$(_tradesuite_exchanges "$prog") ;;
	ts-sim) words=$(_tradesuite_exchanges "${prog%ts-sim}ts-feed") ;;
	ts-cat|ts-gateway|ts-scan) words="trades/ book/ candles/ status/ alerts/ scan/" ;;
	esac
	case $name in
	ts-feed)
		# the exchange, then its symbols (nothing to offer offline)
		((nargs == 0)) || return ;;
	ts-sim) ;;
	ts-alert|ts-store|ts-supervisor)
		if ((nargs > 0)); then
			case $name:$cmd in
			ts-alert:check|ts-store:import) COMPREPLY=($(compgen -f -- "$cur")) ;;
			ts-store:query|ts-store:history|ts-store:collect)
				COMPREPLY=($(compgen -W "trades/ book/ candles/" -- "$cur")) ;;
			esac
			return
		fi ;;
	ts-cat)
		# topic kinds, then exchanges after a kind
		if [[ $cur == */* ]]; then
			local kind=${cur%%/*}
			words=$(for e in $(_tradesuite_exchanges "${prog%ts-cat}ts-feed"); do
				echo "$kind/$e/"; done)
		fi ;;
	*) return ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	[[ ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
	return 0
}

complete -F _tradesuite ts-alert ts-candle ts-cat ts-feed ts-gateway ts-gui \
    ts-pub ts-scan ts-sim ts-store ts-supervisor
