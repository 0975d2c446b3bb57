/* main.c - placeholder until the responder lands. */
int main(void)
{
	return 0;
}
